/**
 * Whether this node should take new connections: {@link dev.inbox.gateway.health.Readiness} collects one condition
 * per part (the server starting or draining, the connection cap, Redis, the relay's subscriptions), and the admin
 * port's {@code /readyz} reports it. Below every part that sets a condition, so none of them depends on the admin
 * API to say it is not ready.
 */
package dev.inbox.gateway.health;
