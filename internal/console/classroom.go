package console

import (
	"context"

	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/store"
)

// Audit returns the latest audit entries, newest first: limit 0 means 100,
// and at most 1000.
func (d *Desk) Audit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	if _, err := d.professor(ctx, ActionAuditRead, "", "read the audit log"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	list, err := d.s.store.ListAudit(ctx, store.AuditFilter{Limit: min(limit, maxAuditLimit)})
	if err != nil {
		return nil, d.s.failed("read the audit log", err)
	}
	return list, nil
}

// The announcement and help queue methods pass through to the classroom
// service with this Desk's actor. It performs the same check as every Desk
// method (an enabled professor, the role read at each call) and audits
// refusals and changes itself (actions "announce*", "help.*").

// Announce shows text on every student's screen (see classroom.Service.Announce).
func (d *Desk) Announce(ctx context.Context, text string) (store.Announcement, error) {
	return d.s.classroom.Announce(ctx, d.classroomActor(), text)
}

// Retract ends announcement id for everyone.
func (d *Desk) Retract(ctx context.Context, id int64) error {
	return d.s.classroom.Retract(ctx, d.classroomActor(), id)
}

// History returns the latest announcements, newest first.
func (d *Desk) History(ctx context.Context, limit int) ([]store.Announcement, error) {
	return d.s.classroom.History(ctx, d.classroomActor(), limit)
}

// Queue returns the open help requests, next first.
func (d *Desk) Queue(ctx context.Context) ([]classroom.QueueEntry, error) {
	return d.s.classroom.Queue(ctx, d.classroomActor())
}

// Claim tells the other professors this one is on their way to request id.
func (d *Desk) Claim(ctx context.Context, id int64) (store.HelpRequest, error) {
	return d.s.classroom.Claim(ctx, d.classroomActor(), id)
}

// Unclaim gives back this professor's claim on request id.
func (d *Desk) Unclaim(ctx context.Context, id int64) error {
	return d.s.classroom.Unclaim(ctx, d.classroomActor(), id)
}

// Resolve closes request id: the student was helped (and is told).
func (d *Desk) Resolve(ctx context.Context, id int64) error {
	return d.s.classroom.Resolve(ctx, d.classroomActor(), id)
}

// Subscribe returns the classroom's change notifications (announcements,
// the queue) and the func that ends the subscription; each event names what
// to read again through the methods above. For anyone but an enabled
// professor it audits the refusal and returns a closed channel.
func (d *Desk) Subscribe() (<-chan classroom.Event, func()) {
	if _, err := d.professor(context.Background(), ActionSubscribe, "", "follow the classroom"); err != nil {
		ch := make(chan classroom.Event)
		close(ch)
		return ch, func() {}
	}
	return d.s.classroom.Subscribe()
}
