package io.gitward.tests.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real {@code curl} CLI: one request, its exit code, HTTP status, negotiated HTTP version and body. */
public final class Curl {
    private static final String MARK = "\n@@curl@@ ";

    /** What curl reported; {@code status} 0 when no HTTP response came (refused connection or handshake). */
    public record Response(int exitCode, int status, String httpVersion, String body) {
        @Override
        public String toString() {
            return "exit " + exitCode + ", HTTP " + status + " over " + httpVersion + ": " + body.strip();
        }
    }

    private Curl() {
    }

    /** Runs {@code curl -sS <args> -w ...} and parses its output; never throws for a failed request. */
    public static Response run(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "-w",
                MARK + "%{http_code} %{http_version}"));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] out = process.getInputStream().readAllBytes();
        process.getErrorStream().readAllBytes();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("curl did not finish: " + command);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        int mark = text.lastIndexOf(MARK);
        if (mark < 0) {
            return new Response(process.exitValue(), 0, "", text);
        }
        String[] trailer = text.substring(mark + MARK.length()).trim().split(" ");
        return new Response(process.exitValue(), Integer.parseInt(trailer[0]), trailer.length > 1 ? trailer[1] : "",
                text.substring(0, mark));
    }
}
