package dev.inbox.gateway.auth;

/**
 * A user the gateway has authenticated, as the token (or, in dev mode, the query) described them. These, never a
 * client frame, are the source of {@code sender_id}, {@code sender_name} and {@code sender_avatar}.
 *
 * @param id              the user id ({@code sub}), positive and below 2^53
 * @param name            display name ({@code name} claim), or {@code null}
 * @param avatar          avatar URL ({@code picture} claim), or {@code null}
 * @param expiresAtMillis when the credential expires (epoch ms), or {@link Long#MAX_VALUE} for a dev-mode user
 * @param claimsJson      the verified credential's claims as a JSON object, as it carried them, for the publish hook;
 *                        {@code null} unless a publish hook is configured (then the hook is sent {@code sub},
 *                        {@code name} and {@code picture} instead). Kept per connection, so only when needed.
 */
public record AuthenticatedUser(long id, String name, String avatar, long expiresAtMillis, String claimsJson) {
    /** A user without kept claims: every path where no publish hook needs them. */
    public AuthenticatedUser(long id, String name, String avatar, long expiresAtMillis) {
        this(id, name, avatar, expiresAtMillis, null);
    }
}
