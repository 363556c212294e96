package io.gitward.pki.cli;

import io.gitward.pki.IssuedCertificate;
import io.gitward.security.json.Json;
import java.io.PrintWriter;

/** Human and JSON renderings shared by the commands. */
final class Output {
    private Output() {
    }

    static void issued(PrintWriter out, IssuedCertificate issued, boolean json, String verb) {
        if (json) {
            out.print(Json.write(issued));
        } else {
            out.printf("%s %s (serial %s, %s, valid until %s)%n", verb, issued.identity(), issued.serial(), issued.keyType(),
                    issued.notAfter());
            if (issued.files().key() != null) {
                out.printf("  key:         %s%n", issued.files().key());
            }
            out.printf("  certificate: %s%n", issued.files().certificate());
            out.printf("  chain:       %s%n", issued.files().chain());
            out.printf("  roots:       %s%n", issued.files().roots());
            out.printf("  crl:         %s%n", issued.files().crl());
        }
        out.flush();
    }
}
