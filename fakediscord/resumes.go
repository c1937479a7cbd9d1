package fakediscord

import (
	"context"
	"fmt"
)

// WaitResumed waits until sessions have been resumed (RESUMED sent) n times
// in total.
func (s *Server) WaitResumed(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, maxWait)
	defer cancel()
	if err := s.waitFor(ctx, func() bool { return s.resumes >= n }); err != nil {
		return fmt.Errorf("discordtest: waiting for RESUMED #%d: %w", n, err)
	}
	return nil
}

// Resumes is how many sessions have been resumed (RESUMED sent).
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}
