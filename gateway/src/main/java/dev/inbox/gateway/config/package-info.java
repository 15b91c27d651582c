/**
 * The gateway's configuration: one immutable tree of records ({@link dev.inbox.gateway.config.GatewayConfig}),
 * read from flags and environment variables once, at start, by {@link dev.inbox.gateway.config.ConfigLoader}, the
 * only class that reads either. Every setting is listed once in {@link dev.inbox.gateway.config.Setting}; an
 * invalid or contradictory value stops the process with one line naming it.
 */
package dev.inbox.gateway.config;
