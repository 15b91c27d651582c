/**
 * The backend's hooks: the publish hook, asked before a message is admitted, and the connect hook, asked to sign in a
 * handshake without a token. Signed HTTP calls that never block an event loop (docs/operations.md, "Hooks").
 */
package dev.inbox.gateway.hook;
