package io.gitward.cli.cluster;

/** The client identities a local cluster provisions for its operator: one client, one admin. */
public final class LocalIdentities {
    public static final String CLIENT = "client-1";
    public static final String ADMIN = "admin-1";

    private LocalIdentities() {
    }
}
