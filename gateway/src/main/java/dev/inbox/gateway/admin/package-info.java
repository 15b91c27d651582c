/**
 * The admin port, apart from the public one: the membership and publish API for backends (bearer API key), and
 * {@code /healthz} and {@code /readyz} for load balancers (no key). Bodies are read and written with streaming
 * Jackson; bad input gets a 4xx with a JSON body naming the problem, and nothing is half-applied. Each request head is
 * judged before its body is read (key, connection cap), and every connection has a read timeout, so a caller without
 * the key cannot make the node buffer anything or starve the probes (issue 11).
 */
package dev.inbox.gateway.admin;
