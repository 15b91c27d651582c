/**
 * The demo inbox page and the browser client, served from the jar on the public port when {@code --demo-page} is on
 * (by default under {@code --dev}): the files of the top-level {@code client/} directory, packaged as they are, so a
 * newcomer opens {@code http://localhost:8080/} and chats, and a front end can load the client the gateway ships.
 */
package dev.inbox.gateway.demo;
