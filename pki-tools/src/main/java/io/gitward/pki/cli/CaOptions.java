package io.gitward.pki.cli;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyFiles;
import io.gitward.pki.PkiException;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/** {@code --dir} and {@code --passphrase-file}, shared by every command that uses the CA. */
final class CaOptions {
    static final String PASSPHRASE_ENV = "GITWARD_CA_PASSPHRASE_FILE";

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "CA directory (holds ca/ and nodes/).")
    Path dir;

    @Option(names = "--passphrase-file", paramLabel = "FILE",
            description = "File whose first line is the CA key passphrase (default: $" + PASSPHRASE_ENV + ").")
    Path passphraseFile;

    char[] passphrase() throws PkiException {
        Path file = passphraseFile;
        if (file == null) {
            String fromEnvironment = System.getenv(PASSPHRASE_ENV);
            if (fromEnvironment == null || fromEnvironment.isEmpty()) {
                return null;
            }
            file = Path.of(fromEnvironment);
        }
        return KeyFiles.readPassphrase(file);
    }

    CertificateAuthority open() throws PkiException {
        return CertificateAuthority.open(dir, passphrase(), Clock.systemUTC());
    }
}
