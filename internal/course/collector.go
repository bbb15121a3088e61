package course

import (
	"context"
	"log/slog"
	"time"
)

// DefaultCollectEvery is how often serve looks for deadlines that passed.
const DefaultCollectEvery = 30 * time.Second

// RunCollector calls CollectDue every interval until ctx ends, so that a
// student who never submits is collected within one interval of their own
// deadline. serve runs it; it returns when ctx is done.
func (s *Service) RunCollector(ctx context.Context, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = DefaultCollectEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		made, err := s.CollectDue(ctx, "")
		for _, sub := range made {
			log.Info("collected at the deadline", "assignment", sub.Assignment, "user", sub.Username, "files", sub.Files, "sha256", sub.SHA256)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("automatic collection", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
