package io.gitward.tests;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the checkout and its built distribution are; tests start ./gitward from here and never build. */
public final class GitwardHome {
    private GitwardHome() {
    }

    public static Path root() {
        String configured = System.getProperty("gitward.root");
        Path root = configured != null ? Path.of(configured) : Path.of("..").toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("gitward"))) {
            throw new IllegalStateException("no ./gitward launcher in " + root + " (set -Dgitward.root)");
        }
        return root;
    }

    public static Path launcher() {
        return root().resolve("gitward");
    }

    public static Path distributionLib() {
        Path lib = root().resolve("distribution/target/gitward/lib");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException(lib + " is missing: the reactor builds the distribution before this module");
        }
        return lib;
    }
}
