package io.gitward.security.authz;

import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.x509.ValidatedPeer;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What the transport established about a connection once its TLS handshake finished: the verified peer
 * (null for plaintext or TLS without a client certificate), its presented chain, and the trust generation
 * it was validated under, so calls re-check it after a CRL or bundle change.
 */
public record PeerAuthentication(Transport transport, ValidatedPeer peer, List<X509Certificate> chain, long generation,
        String rejection, String remoteHost) {
    public PeerAuthentication {
        chain = chain == null ? List.of() : List.copyOf(chain);
    }

    public NodeIdentity identity() {
        return peer == null ? null : peer.identity();
    }

    public boolean rejected() {
        return rejection != null;
    }
}
