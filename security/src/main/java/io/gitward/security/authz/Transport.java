package io.gitward.security.authz;

/** How a caller reached the node. */
public enum Transport {
    PLAINTEXT("plaintext"),
    /** TLS without a (verified) client certificate. */
    TLS("tls"),
    /** TLS with a verified client certificate. */
    MTLS("mtls");

    private final String code;

    Transport(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
