/**
 * Where a message goes. {@link dev.inbox.gateway.routing.UserGroups} holds, per user, every open connection on this
 * node (tabs, devices); {@link dev.inbox.gateway.routing.Membership} says who is in a conversation;
 * {@link dev.inbox.gateway.routing.ConversationRouter} checks the sender, assigns the {@code message_id}, encodes the
 * event once and hands it to {@link dev.inbox.gateway.routing.Fanout}, which writes the shared frame to every
 * connection of every member, batched per event loop. Each conversation is routed on one owner event loop, so its
 * ids are assigned and its frames queued in one order for every recipient.
 */
package dev.inbox.gateway.routing;
