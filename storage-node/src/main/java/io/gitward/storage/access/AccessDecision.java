package io.gitward.storage.access;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * What the access check decided about one push, and the pure rules that turn an HTTP answer into it: only
 * {@code 200} with {@code {"status": true}} allows; {@code 200} with {@code {"status": false, "message": …}}
 * denies with the (sanitised) message shown to the pusher; anything else is an error, which refuses the push too.
 *
 * @param message for DENIED the message for the pusher; for ERROR why no decision was had; empty for ALLOWED
 */
public record AccessDecision(Result result, String message) {
    /** Longest message passed on to the pusher, in characters (the rest is cut and marked). */
    public static final int MAX_MESSAGE = 512;
    static final String DEFAULT_DENIAL = "the push was denied by the access check";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The closed set of outcomes; also the metric's label values. */
    public enum Result {
        ALLOWED, DENIED, ERROR;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public AccessDecision {
        requireNonNull(result, "result");
        requireNonNull(message, "message");
    }

    public static AccessDecision allowed() {
        return new AccessDecision(Result.ALLOWED, "");
    }

    public static AccessDecision denied(String message) {
        return new AccessDecision(Result.DENIED, message);
    }

    public static AccessDecision error(String why) {
        return new AccessDecision(Result.ERROR, why);
    }

    /** What the pusher reads next to each refused reference. */
    public String pusherMessage() {
        return switch (result) {
            case ALLOWED -> "";
            case DENIED -> message;
            case ERROR -> "access check unavailable: " + message;
        };
    }

    /** Interprets the endpoint's answer: HTTP status and body (JSON expected). */
    public static AccessDecision interpret(int status, byte[] body) {
        if (status != 200) {
            return error("the endpoint answered HTTP " + status);
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return error("the endpoint's answer is not JSON");
        }
        if (root == null || !root.isObject()) {
            return error("the endpoint's answer is not a JSON object");
        }
        JsonNode verdict = root.get("status");
        if (verdict == null || !verdict.isBoolean()) {
            return error("the endpoint's answer has no boolean \"status\"");
        }
        if (verdict.booleanValue()) {
            return allowed();
        }
        JsonNode message = root.get("message");
        String text = message != null && message.isTextual() ? sanitize(message.textValue()) : "";
        return denied(text.isEmpty() ? DEFAULT_DENIAL : text);
    }

    /**
     * Makes a message safe to show in a pusher's terminal and in a receive-pack report line: control and format
     * characters (escape sequences, bidirectional overrides, line breaks) become spaces, runs of blanks one space,
     * and at most {@link #MAX_MESSAGE} characters remain (a cut is marked with "...").
     */
    public static String sanitize(String message) {
        StringBuilder out = new StringBuilder(Math.min(message.length(), MAX_MESSAGE + 3));
        boolean blank = false;
        for (int i = 0; i < message.length(); ) {
            int codePoint = message.codePointAt(i);
            i += Character.charCount(codePoint);
            int type = Character.getType(codePoint);
            boolean unsafe = type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE || type == Character.PRIVATE_USE
                    || type == Character.UNASSIGNED;
            if (unsafe || Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint)) {
                blank = out.length() > 0;
                continue;
            }
            if (out.length() + (blank ? 1 : 0) + Character.charCount(codePoint) > MAX_MESSAGE) {
                return out.append("...").toString();
            }
            if (blank) {
                out.append(' ');
                blank = false;
            }
            out.appendCodePoint(codePoint);
        }
        return out.toString();
    }
}
