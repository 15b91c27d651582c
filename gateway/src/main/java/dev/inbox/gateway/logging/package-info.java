/** Logging that stays readable under overload: conditions that can repeat per message, logged once per interval. */
package dev.inbox.gateway.logging;
