package postgres

import (
	"context"
	"fmt"
	"time"
)

// PruneAudit deletes up to limit audit entries older than before, oldest
// first (audit_log_at serves both the selection and the order).
func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE at < $1 ORDER BY at, id LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune audit log before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return int(tag.RowsAffected()), nil
}

// PruneLoginFailures deletes up to limit counters whose last failure is older than before.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE (scope, key) IN
		(SELECT scope, key FROM login_failures WHERE last_failure < $1 LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune login failures before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return int(tag.RowsAffected()), nil
}
