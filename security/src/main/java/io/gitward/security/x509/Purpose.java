package io.gitward.security.x509;

/** Which extended key usage a certificate must carry for the way it is used. */
public enum Purpose {
    /** The peer connected to us: it must carry clientAuth. */
    TLS_CLIENT,
    /** We connected to the peer: it must carry serverAuth. */
    TLS_SERVER,
    /** A Gitward node certificate, used in both directions: both EKUs. */
    NODE
}
