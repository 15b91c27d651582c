/**
 * The soak scenario ({@link dev.inbox.gateway.soak.SoakIT}): two gateway processes and a Redis of the test's own,
 * thousands of real WebSocket connections churning for a configurable time, Redis restarted in the middle; every
 * message accounted for by the {@link dev.inbox.gateway.soak.Ledger} against the README's guarantees, and each
 * process measured from outside ({@link dev.inbox.gateway.soak.NodeResources}) before and after, for growth in heap,
 * direct memory, threads and file descriptors. Short in every build; long with {@code -Psoak}.
 */
package dev.inbox.gateway.soak;
