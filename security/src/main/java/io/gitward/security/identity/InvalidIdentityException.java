package io.gitward.security.identity;

import static java.util.Objects.requireNonNull;

/** A name, SPIFFE ID or certificate that does not follow the identity grammar. Never normalized: rejected. */
public final class InvalidIdentityException extends Exception {
    private static final long serialVersionUID = 1L;

    private final IdentityProblem problem;

    public InvalidIdentityException(IdentityProblem problem, String message) {
        super(message);
        this.problem = requireNonNull(problem, "problem");
    }

    public IdentityProblem problem() {
        return problem;
    }
}
