package bot

import (
	"context"
	"io"
	"net/http"
	"time"
)

// restTimeout bounds one REST request, its answer's body included.
const restTimeout = 30 * time.Second

// restConns is how many connections the session keeps to one host, in use
// and idle. Under a storm up to MaxAdmitted interactions send at once; to
// an HTTP/1.1 origin (a REST proxy, the test fake) Go's default transport
// keeps two idle connections a host, so all but two of those were opened
// for one request and closed after it, each with a goroutine reading and
// one writing. Over HTTPS Discord speaks HTTP/2, and one connection carries
// every request.
const restConns = 64

// restTransport is the session's own transport, with restConns
// connections a host.
func restTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = restConns
	t.MaxConnsPerHost = restConns
	return t
}

// deadlineTransport gives each request restTimeout through its context.
// http.Client's own Timeout does the same only over an *http.Transport;
// over any other RoundTripper (the session's is a chain of them) it cancels
// through the legacy Request.Cancel, which costs two goroutines a request.
type deadlineTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t deadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
