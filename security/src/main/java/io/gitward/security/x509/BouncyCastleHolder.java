package io.gitward.security.x509;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** One BouncyCastle provider instance, used explicitly (never installed globally, so TLS stays on the JDK/BoringSSL). */
public final class BouncyCastleHolder {
    private static final Provider PROVIDER = new BouncyCastleProvider();

    private BouncyCastleHolder() {
    }

    public static Provider provider() {
        return PROVIDER;
    }
}
