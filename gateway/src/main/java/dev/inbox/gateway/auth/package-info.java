/**
 * Who is connecting, decided before the upgrade: {@link dev.inbox.gateway.auth.HandshakeHandler} answers every HTTP
 * request on the public port (404 off the inbox path, 426 without an upgrade, 403 for a foreign Origin, 401 without a
 * valid token) and performs the WebSocket handshake for the rest, then removes itself.
 * {@link dev.inbox.gateway.auth.Authenticator} finds the token (header, subprotocol, query, cookie) and
 * {@link dev.inbox.gateway.auth.TokenVerifier} checks it with Nimbus JOSE+JWT; no crypto is written here. With a connect
 * hook, {@link dev.inbox.gateway.auth.ConnectHook} asks the backend who a request without any credential is.
 */
package dev.inbox.gateway.auth;
