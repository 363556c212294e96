package io.gitward.security.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/** Which TLS implementation a node uses. BoringSSL is the default; the JDK's own TLS is selectable. */
public enum TlsProvider {
    /** BoringSSL through netty-tcnative: about ten times cheaper handshakes than the JDK. */
    BORINGSSL(SslProvider.OPENSSL),
    /** The JDK's SunJSSE. */
    JDK(SslProvider.JDK);

    private final SslProvider netty;

    TlsProvider(SslProvider netty) {
        this.netty = netty;
    }

    public SslProvider netty() {
        return netty;
    }

    /** Null when usable here, else why not (never falls back silently to another provider). */
    public String unavailableReason() {
        if (this == BORINGSSL && !OpenSsl.isAvailable()) {
            Throwable cause = OpenSsl.unavailabilityCause();
            return "BoringSSL (netty-tcnative) is not available on this platform: "
                    + (cause == null ? "unknown reason" : cause.getMessage()) + " (use security.tls.provider = jdk)";
        }
        return null;
    }

    /** Provider name and version for the start-up log. */
    public String describe() {
        return this == BORINGSSL ? "BoringSSL (netty-tcnative " + OpenSsl.versionString() + ")"
                : "JDK " + System.getProperty("java.version");
    }
}
