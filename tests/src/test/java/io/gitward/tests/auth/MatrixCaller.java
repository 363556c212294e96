package io.gitward.tests.auth;

import io.gitward.pki.defects.Defect;
import io.gitward.pki.defects.DefectiveCertificates;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.security.TestPki;
import io.netty.handler.ssl.SslProvider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one row of the outcome table calls: over TLS or plaintext, with which client certificate, which kind of
 * token ("valid", "wrong", "expired", "replayed" or none) and which forwarded client certificate.
 *
 * @param provider the caller's TLS library: BoringSSL, except for defective certificates, which a BoringSSL client
 *                 refuses to present at all (that would test the client library instead of the node)
 */
record MatrixCaller(String row, boolean tls, ProbeCaller.ClientIdentity identity, String token,
        ProbeCaller.ClientIdentity forwarded, SslProvider provider) {
    /** Defective certificates played against the real cluster; OutcomeTableTest plays all of them in-process. */
    static final List<Defect> SAMPLED_DEFECTS = List.of(Defect.EXPIRED, Defect.WRONG_CA, Defect.REVOKED,
            Defect.UNKNOWN_ROLE, Defect.NO_SPIFFE_SAN, Defect.MISSING_CLIENT_AUTH_EKU, Defect.CA_TRUE_LEAF,
            Defect.FOREIGN_TRUST_DOMAIN);
    /** Every caller that has a certificate of role R in the cluster's trust domain is named "caller-R". */
    static final String NAME_PREFIX = "caller-";

    /**
     * Every row of the outcome table except the defective certificates not in {@link #SAMPLED_DEFECTS}, by row name.
     * Issues the certificates (and revokes one) in {@code pki}; call it before nodes load the CRL.
     */
    static Map<String, MatrixCaller> all(TestPki pki, TestPki otherDomain) throws Exception {
        Map<String, MatrixCaller> callers = new LinkedHashMap<>();
        SslProvider boring = SslProvider.OPENSSL;
        add(callers, new MatrixCaller("plaintext", false, null, null, null, boring));
        add(callers, new MatrixCaller("plaintext + token", false, null, "valid", null, boring));
        add(callers, new MatrixCaller("plaintext + wrong token", false, null, "wrong", null, boring));
        add(callers, new MatrixCaller("plaintext + expired token", false, null, "expired", null, boring));
        add(callers, new MatrixCaller("plaintext + replayed token", false, null, "replayed", null, boring));
        add(callers, new MatrixCaller("tls, no cert", true, null, null, null, boring));
        add(callers, new MatrixCaller("tls, no cert + token", true, null, "valid", null, boring));
        Map<Role, ProbeCaller.ClientIdentity> byRole = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            ProbeCaller.ClientIdentity identity = TestPki.clientIdentity(pki.issue(role, NAME_PREFIX + role.wireName()));
            byRole.put(role, identity);
            add(callers, new MatrixCaller("cert " + role.wireName(), true, identity, null, null, boring));
        }
        add(callers, new MatrixCaller("cert admin + wrong token", true, byRole.get(Role.ADMIN), "wrong", null, boring));
        add(callers, new MatrixCaller("cert auditor of other domain", true,
                TestPki.clientIdentity(otherDomain.issue(Role.AUDITOR, "central")), null, null, boring));
        add(callers, new MatrixCaller("cert edge + forwarded client", true, byRole.get(Role.EDGE), null,
                byRole.get(Role.CLIENT), boring));
        add(callers, new MatrixCaller("cert edge + forwarded admin", true, byRole.get(Role.EDGE), null,
                byRole.get(Role.ADMIN), boring));
        add(callers, new MatrixCaller("cert client + forwarded client", true, byRole.get(Role.CLIENT), null,
                byRole.get(Role.CLIENT), boring));
        DefectiveCertificates forger = new DefectiveCertificates(pki.authority(), TrustDomain.of(otherDomain.trustDomain()));
        for (Defect defect : SAMPLED_DEFECTS) {
            // As OutcomeTableTest names them: the name must stay valid inside every defect (no dashes, short).
            String name = "bad-" + defect.tableName().replace("-", "");
            DefectiveCertificates.Forged forged = forger.forge(defect, name.substring(0, Math.min(name.length(), 40)));
            add(callers, new MatrixCaller("bad " + defect.tableName(), true,
                    new ProbeCaller.ClientIdentity(forged.key(), forged.chain()), null, null, SslProvider.JDK));
        }
        return callers;
    }

    private static void add(Map<String, MatrixCaller> callers, MatrixCaller caller) {
        callers.put(caller.row(), caller);
    }
}
