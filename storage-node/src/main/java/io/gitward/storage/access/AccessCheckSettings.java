package io.gitward.storage.access;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * The {@code storage.access-check.*} section: where the storage node asks whether a push may change references
 * (an HTTPS endpoint, Rails' {@code /internal/allowed} in GitLab), the identity that endpoint must prove, and how
 * long it may take. No URL means no check.
 *
 * @param url      the https endpoint, or null when the check is off
 * @param identity the SPIFFE ID the endpoint's certificate must carry (null when off)
 * @param timeout  connect, handshake, request and answer together
 */
public record AccessCheckSettings(URI url, NodeIdentity identity, Duration timeout) {
    static final String URL = "storage.access-check.url";
    static final String IDENTITY = "storage.access-check.identity";
    static final String TIMEOUT = "storage.access-check.timeout";
    private static final String URL_EXAMPLE = "an https:// URL such as https://rails.internal:8443/api/v4/internal/allowed,"
            + " or empty for no access check";

    public boolean enabled() {
        return url != null;
    }

    /** Reads and validates the section; problems go to {@code config}, named by key. */
    public static AccessCheckSettings read(GitwardConfig config) {
        Duration timeout = config.duration(TIMEOUT);
        String rawUrl = config.string(URL);
        String rawIdentity = config.string(IDENTITY);
        if (rawUrl == null || rawUrl.isBlank()) {
            if (rawIdentity != null && !rawIdentity.isBlank()) {
                config.problems().add(IDENTITY, "'" + rawIdentity + "' is set but " + URL + " is empty (expected: both set,"
                        + " or neither)");
            }
            return new AccessCheckSettings(null, null, timeout);
        }
        URI url = url(config, rawUrl.trim());
        NodeIdentity identity = null;
        if (rawIdentity == null || rawIdentity.isBlank()) {
            config.problems().add(IDENTITY, "missing (expected: the SPIFFE ID the access-check endpoint presents,"
                    + " e.g. spiffe://<trust-domain>/client/rails)");
        } else {
            try {
                identity = NodeIdentity.parseSpiffeId(rawIdentity);
            } catch (InvalidIdentityException e) {
                config.problems().add(IDENTITY, "'" + rawIdentity + "': " + e.getMessage()
                        + " (expected: spiffe://<trust-domain>/<role>/<name>)");
            }
        }
        if (!config.isSet("security.tls.key") || !config.isSet("security.tls.certificate-chain")) {
            config.problems().add(URL, "set, but this node has no key and certificate to present to the endpoint"
                    + " (expected: security.tls.key and security.tls.certificate-chain set; make them with:"
                    + " gitward pki issue)");
        }
        return new AccessCheckSettings(url, identity, timeout);
    }

    private static URI url(GitwardConfig config, String raw) {
        URI url;
        try {
            url = new URI(raw);
        } catch (URISyntaxException e) {
            config.problems().add(URL, "'" + raw + "' is not a URL: " + e.getReason() + " (expected: " + URL_EXAMPLE + ")");
            return null;
        }
        String problem = null;
        if (!"https".equalsIgnoreCase(url.getScheme())) {
            problem = "not https";
        } else if (url.getHost() == null) {
            problem = "no host";
        } else if (url.getRawUserInfo() != null) {
            // The endpoint authenticates this node by its certificate; a password in a config file would be a secret.
            return fail(config, "'https://…@" + url.getHost() + "…' carries user-info (expected: no credentials in the URL;"
                    + " the endpoint authenticates this node by its certificate)");
        } else if (url.getRawFragment() != null) {
            problem = "a fragment";
        } else if (url.getPort() == 0 || url.getPort() > 65535) {
            problem = "port " + url.getPort();
        }
        if (problem != null) {
            return fail(config, "'" + raw + "' has " + (problem.equals("not https") ? "a scheme that is " : "") + problem
                    + " (expected: " + URL_EXAMPLE + ")");
        }
        return url;
    }

    private static URI fail(GitwardConfig config, String problem) {
        config.problems().add(URL, problem);
        return null;
    }

    /** Port of the URL, 443 when absent. */
    int port() {
        return url.getPort() == -1 ? 443 : url.getPort();
    }
}
