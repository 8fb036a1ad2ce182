// Package bot owns the Telegram side: turning updates into dialog events,
// long polling (one poller per token across replicas) and the webhook
// endpoint, and sending messages with buttons. It stores nothing itself;
// it hands updates to a Sink and sends what it is given.
package bot
