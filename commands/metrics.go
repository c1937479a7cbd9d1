package commands

import (
	"github.com/bwmarrin/discordgo"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the counters an operator scrapes from METRICS_ADDR. They carry
// kinds and outcomes only: never a guild, channel, member or rally id, so a
// scrape says how the bot is doing, not who is organizing what. A nil
// *Metrics records nothing.
type Metrics struct {
	interactions *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	scheduled    *prometheus.CounterVec
	discordErrs  *prometheus.CounterVec
	reconnects   prometheus.Counter
}

// NewMetrics registers the bot's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallybot_interactions_total",
			Help: "Interactions handled, by kind (command, component: a button or menu click, autocomplete) and outcome (ok, refused, error).",
		}, []string{"kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rallybot_interaction_seconds",
			Help:    "Time from receiving an interaction to its reply being sent, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5},
		}, []string{"kind"}),
		scheduled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallybot_scheduled_messages_total",
			Help: "Messages owed to Discord, by kind (announce, reminder, staffing, note, summary, a notice's kind, dm_*, dm_delete) and outcome (sent, failed, refused, closed, dropped, retry).",
		}, []string{"job", "outcome"}),
		discordErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rallybot_discord_errors_total",
			Help: "Discord REST answers an operator watches, by class (rate_limited, server_error, network).",
		}, []string{"class"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rallybot_gateway_reconnects_total",
			Help: "Gateway connections lost and resumed or re-established.",
		}),
	}
	reg.MustRegister(m.interactions, m.latency, m.scheduled, m.discordErrs, m.reconnects)
	return m
}

// Interaction records one handled interaction's outcome.
func (m *Metrics) Interaction(kind, outcome string) {
	if m == nil {
		return
	}
	m.interactions.WithLabelValues(kind, outcome).Inc()
}

// Latency records how long an interaction took to be answered.
func (m *Metrics) Latency(kind string, took time.Duration) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(kind).Observe(took.Seconds())
}

// InteractionKind names an interaction type for the metrics.
func InteractionKind(t discordgo.InteractionType) string {
	switch t {
	case discordgo.InteractionApplicationCommand:
		return "command"
	case discordgo.InteractionApplicationCommandAutocomplete:
		return "autocomplete"
	case discordgo.InteractionMessageComponent:
		return "component"
	}
	return "other"
}

// Scheduled records the outcome of one reminder or summary send.
func (m *Metrics) Scheduled(job, outcome string) {
	if m == nil {
		return
	}
	m.scheduled.WithLabelValues(job, outcome).Inc()
}

// DiscordError records a REST error of the given class.
func (m *Metrics) DiscordError(class string) {
	if m == nil {
		return
	}
	m.discordErrs.WithLabelValues(class).Inc()
}

// Reconnect records a lost gateway connection.
func (m *Metrics) Reconnect() {
	if m == nil {
		return
	}
	m.reconnects.Inc()
}
