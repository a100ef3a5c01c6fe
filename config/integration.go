package config

import "github.com/docparse/docparse/webhook"

// Webhooks is the delivery policy shared by the API (which checks
// callback_url at upload) and the webhook stage (which posts).
func (c Config) Webhooks() webhook.Options {
	return webhook.Options{AllowedHosts: c.WebhookAllowedHosts, Secret: c.WebhookSecret,
		Timeout: c.WebhookTimeout, RetryFor: c.WebhookRetryFor}
}
