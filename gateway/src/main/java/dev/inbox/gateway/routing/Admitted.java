package dev.inbox.gateway.routing;

/**
 * A message let into its conversation.
 *
 * @param messageId the id it was given
 * @param members   every member at that moment: the recipients
 */
public record Admitted(long messageId, long[] members) {}
