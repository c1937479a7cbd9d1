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

// RedeliverNext makes the next n interactions delivered twice: the same
// INTERACTION_CREATE again once the first was answered, as Discord may
// replay a dispatch after a session is resumed.
func (s *Server) RedeliverNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redeliver = n
}

// AnsweredTwice is how many callbacks came for an interaction already
// answered (Discord refuses them with 40060).
func (s *Server) AnsweredTwice() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answeredTwice
}
