package io.gitward.cli.cluster;

import java.nio.file.Path;

/**
 * The files of a local cluster under one directory: the certificate authority ({@code pki/}, the only place
 * its key lives), one directory per node (its own key, made there, its chain, the bundle, the CRL, its
 * config, data, log and pid) and per client identity, the manifest and the supervisor's pid and log.
 */
public record ClusterLayout(Path dir) {
    public static final Path DEFAULT = Path.of(".gitward", "cluster");

    public ClusterLayout {
        dir = dir.toAbsolutePath().normalize();
    }

    public Path manifest() {
        return dir.resolve("cluster.json");
    }

    /** The certificate authority that issues; during a rollover, after {@code ca activate}, the new one. */
    public Path pki() {
        return dir.resolve("pki");
    }

    /** A new CA between {@code ca prepare} and {@code ca activate}: trusted, not issuing yet. */
    public Path pkiNext() {
        return dir.resolve("pki-next");
    }

    /** The previous CA between {@code ca activate} and {@code ca retire}: still trusted, no longer issuing. */
    public Path pkiPrevious() {
        return dir.resolve("pki-previous");
    }

    /** Where retired CAs are kept (never trusted again). */
    public Path retired() {
        return dir.resolve("retired");
    }

    public Path lock() {
        return dir.resolve("cluster.lock");
    }

    public Path nodeDir(String name) {
        return dir.resolve("nodes").resolve(name);
    }

    public Path clientDir(String name) {
        return dir.resolve("clients").resolve(name);
    }

    public Path supervisorPid() {
        return dir.resolve("supervisor.pid");
    }

    public Path supervisorLog() {
        return dir.resolve("supervisor.log");
    }

    /** The identity's TLS files, published together ({@link ProjectedFiles}): key, chain, bundle, CRL. */
    public static Path tls(Path identityDir) {
        return identityDir.resolve("tls");
    }

    public static Path key(Path identityDir) {
        return tls(identityDir).resolve(ProjectedFiles.KEY);
    }

    public static Path chain(Path identityDir) {
        return tls(identityDir).resolve(ProjectedFiles.CHAIN);
    }

    public static Path roots(Path identityDir) {
        return tls(identityDir).resolve(ProjectedFiles.ROOTS);
    }

    public static Path crl(Path identityDir) {
        return tls(identityDir).resolve(ProjectedFiles.CRL);
    }

    public Path tokenSecret() {
        return dir.resolve("token-secret");
    }

    public static Path token(Path identityDir) {
        return identityDir.resolve("token");
    }

    public static Path config(Path nodeDir) {
        return nodeDir.resolve("node.conf");
    }

    public static Path data(Path nodeDir) {
        return nodeDir.resolve("data");
    }

    public static Path ready(Path nodeDir) {
        return data(nodeDir).resolve("ready.json");
    }

    public static Path log(Path nodeDir) {
        return nodeDir.resolve("node.log");
    }

    public static Path pid(Path nodeDir) {
        return nodeDir.resolve("node.pid");
    }
}
