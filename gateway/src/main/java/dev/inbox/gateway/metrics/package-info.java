/**
 * What the gateway counts and measures, for the SREs who run it. {@link dev.inbox.gateway.metrics.InboxMeters} is the
 * catalogue of every meter (name, type, unit, labels, meaning); {@link dev.inbox.gateway.metrics.GatewayMetrics}
 * creates them all once, at start, and offers one method per event, so recording on the hot path is an increment on
 * a meter held in a field: no lookup, no allocation, no lock. Labels are closed sets (outcomes, frame kinds, error
 * and close codes); never a user, conversation, token or address.
 */
package dev.inbox.gateway.metrics;
