package io.gitward.gateway;

import com.sun.net.httpserver.HttpsExchange;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.Purpose;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The end user behind one HTTPS request: the certificate chain their TLS handshake presented, checked again under
 * the current trust (a certificate revoked since the handshake stops working at the next request), and the value
 * the gateway forwards to the proxy for it.
 *
 * @param identity      the verified identity, always a {@code client}
 * @param forwardHeader the chain as URL-escaped PEM, the format nginx's {@code $ssl_client_escaped_cert} uses
 */
record EndUser(NodeIdentity identity, String forwardHeader) {

    /** Why a request has no user the gateway may act for; the message is shown to the user. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    static EndUser of(HttpsExchange exchange, NodeCredentials credentials) throws Refused {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            for (Certificate certificate : exchange.getSSLSession().getPeerCertificates()) {
                chain.add((X509Certificate) certificate);
            }
        } catch (SSLPeerUnverifiedException e) {
            throw new Refused("no client certificate: this gateway serves Git only to users with a client certificate"
                    + " (git -c http.sslCert=CERT -c http.sslKey=KEY ...)");
        }
        NodeIdentity identity;
        try {
            identity = credentials.validate(chain, Purpose.TLS_CLIENT, false).identity();
        } catch (CertificateRejectedException e) {
            throw new Refused("client certificate refused: " + e.getMessage());
        }
        if (identity.role() != Role.CLIENT) {
            throw new Refused("certificate " + identity + " is not a client identity; the gateway forwards only"
                    + " client identities");
        }
        return new EndUser(identity, escape(Pem.encodeCertificates(chain)));
    }

    /** Percent-escapes everything but unreserved characters, so the PEM travels as one header line. */
    static String escape(String pem) {
        StringBuilder escaped = new StringBuilder(pem.length() + pem.length() / 8);
        for (byte b : pem.getBytes(StandardCharsets.US_ASCII)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~' || c == '+' || c == '/' || c == '=') {
                escaped.append(c);
            } else {
                escaped.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return escaped.toString();
    }
}
