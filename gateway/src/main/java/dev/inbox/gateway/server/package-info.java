/**
 * Starting a node: {@link dev.inbox.gateway.server.Main} reads the configuration and exits 2 on a bad one;
 * {@link dev.inbox.gateway.server.InboxServer} wires the parts and binds both ports;
 * {@link dev.inbox.gateway.server.InboxChannelInitializer} assembles the public pipeline in wire order, the one
 * place to read it; {@link dev.inbox.gateway.server.Transport} picks io_uring, epoll or NIO.
 */
package dev.inbox.gateway.server;
