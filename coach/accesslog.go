package coach

import (
	"context"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/staff"
	"github.com/waakvlam/waakvlam/store"
)

// AccessLog records who read or changed which client's data (NEN 7513;
// package accesslog). The bridge sets who acts and from where on the
// context where a request comes in (accesslog.With); call sites name the
// client, the action and the outcome.
type AccessLog interface {
	Record(ctx context.Context, entries ...accesslog.Entry) error
}

// bridgeActor is the bridge acting on its own: posting a client's
// messages in Mattermost, removing members who may not be there.
var bridgeActor = accesslog.Who{Actor: "system:bridge", Source: accesslog.SourcePipeline}

// as returns ctx with username (or, for someone unknown, the Mattermost
// user id) acting from source.
func as(ctx context.Context, username, userID string, source accesslog.Source) context.Context {
	if username == "" && userID != "" {
		username = "mattermost-user:" + userID
	}
	return accesslog.With(ctx, accesslog.Who{Actor: username, Source: source})
}

// access writes one entry; a failure is logged by the access log itself.
func (b *Bridge) access(ctx context.Context, clientID, action string, op accesslog.Op, out accesslog.Outcome) {
	if b.Access != nil && clientID != "" {
		_ = b.Access.Record(ctx, accesslog.For(ctx, clientID, action, op, out))
	}
}

// accessAll writes one entry per client, in one round trip.
func (b *Bridge) accessAll(ctx context.Context, clientIDs []string, action string, op accesslog.Op) {
	if b.Access == nil || len(clientIDs) == 0 {
		return
	}
	es := make([]accesslog.Entry, 0, len(clientIDs))
	for _, id := range clientIDs {
		es = append(es, accesslog.For(ctx, id, action, op, accesslog.OK))
	}
	_ = b.Access.Record(ctx, es...)
}

// auditNotWritten ends an answer whose change is made but missing from
// the programme audit log.
const auditNotWritten = "\n⚠️ Dit is wel gedaan, maar niet vastgelegd in het logboek. Meld dit aan de projectleider."

// audit writes a line of the programme audit log (who changed what), tried
// twice; a failure is logged (ids only) and the caller tells the person
// who acted (auditNotWritten), since the change itself already happened.
func (b *Bridge) audit(ctx context.Context, who, what, before, after string, now time.Time) bool {
	err := b.st.AuditProgramme(ctx, who, what, before, after, now)
	if err != nil {
		err = b.st.AuditProgramme(ctx, who, what, before, after, now)
	}
	if err != nil {
		action := "?"
		if f := strings.Fields(what); len(f) > 0 {
			action = f[0] // the command word only: the rest may name a client
		}
		b.log.Error("programme audit not written", "what", action, "err", err)
		return false
	}
	return true
}

// outcome is OK without an error, Failed with one.
func outcome(err error) accesslog.Outcome {
	if err != nil {
		return accesslog.Failed
	}
	return accesslog.OK
}

// refused records a denied read when ref is the id of a client the person
// may not see (a first name of someone else's client is not looked up).
func (b *Bridge) refused(ctx context.Context, ref, action string) {
	if b.Access == nil || ref == "" || len(ref) > 64 {
		return
	}
	if _, ok, err := b.st.LoadClient(ctx, ref); err == nil && ok {
		b.access(ctx, ref, action, accesslog.Read, accesslog.Denied)
	}
}

func clientIDs(cs []store.Client) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// scheduleActions name the reminder commands that change a schedule.
var scheduleActions = map[staff.ScheduleVerb]string{
	staff.VerbReminderPause: "schedule.pause", staff.VerbReminderResume: "schedule.resume", staff.VerbReminderRemove: "schedule.remove",
}
