package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// injector switches the network faults of one target's proxy on and off.
// Faults overlap: each toxic has a name of its own, and the proxy stays
// disabled while any cut lasts.
type injector struct {
	proxy *Proxy
	log   func(format string, args ...any)
	// restarted is called after toxiproxy was restarted because its API
	// failed (see Toxiproxy).
	restarted func()

	mu      sync.Mutex
	seq     int
	cuts    int // cuts in progress
	on      int // faults switched on now
	active  sync.WaitGroup
	healing bool
}

// inject switches f on, calls on, waits f.For (or until ctx ends) and
// switches it off. It reports whether the fault was switched on.
func (in *injector) inject(ctx context.Context, f Fault, on func()) bool {
	in.mu.Lock()
	if in.healing {
		in.mu.Unlock()
		return false
	}
	in.seq++
	name := fmt.Sprintf("%s_%d", f.Kind, in.seq)
	in.active.Add(1)
	in.on++
	in.mu.Unlock()
	defer in.active.Done()
	defer func() {
		in.mu.Lock()
		in.on--
		in.mu.Unlock()
	}()

	// The API calls outlive ctx: a fault switched on is always switched
	// off.
	api, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if f.Kind == FaultCut {
		in.mu.Lock()
		in.cuts++
		first := in.cuts == 1
		in.mu.Unlock()
		if first {
			if err := in.api(api, "disable the proxy", func(ctx context.Context) error { return in.proxy.SetEnabled(ctx, false) }); err != nil {
				in.log("fault %s: %v", f, err)
			}
		}
		in.log("fault on: %s", f)
		on()
		sleep(ctx, f.For)
		in.mu.Lock()
		in.cuts--
		last := in.cuts == 0
		in.mu.Unlock()
		if last {
			if err := in.api(api, "enable the proxy", func(ctx context.Context) error { return in.proxy.SetEnabled(ctx, true) }); err != nil {
				in.log("fault %s: switching it off: %v", f, err)
			}
		}
		in.log("fault off: %s", name)
		return true
	}
	attrs := map[string]any{}
	for k, v := range f.Attributes {
		attrs[k] = v
	}
	tx := Toxic{Name: name, Type: string(f.Kind), Stream: f.Stream, Toxicity: f.Toxicity, Attributes: attrs}
	if err := in.api(api, "add toxic "+name, func(ctx context.Context) error { return in.proxy.AddToxic(ctx, tx) }); err != nil {
		in.log("fault %s: %v", f, err)
		return false
	}
	in.log("fault on: %s (%s)", f, name)
	on()
	sleep(ctx, f.For)
	if err := in.api(api, "remove toxic "+name, func(ctx context.Context) error { return in.proxy.RemoveToxic(ctx, name) }); err != nil {
		in.log("fault %s: switching it off: %v", name, err)
	}
	in.log("fault off: %s", name)
	return true
}

// api runs a call of toxiproxy's API; when it fails, toxiproxy is
// restarted (it deadlocks at times), which also switches every fault off.
func (in *injector) api(ctx context.Context, what string, call func(context.Context) error) error {
	tp := in.proxy.t
	gen := tp.Restarts()
	err := call(ctx)
	if err == nil {
		return nil
	}
	in.log("toxiproxy: %s: %v; restarting it", what, err)
	if rerr := tp.Restart(ctx, gen); rerr != nil {
		return errors.Join(err, rerr)
	}
	if in.restarted != nil {
		in.restarted()
	}
	return err
}

// probeTimeout bounds a request that checks the proxy passes data.
const probeTimeout = 5 * time.Second

// watch checks every interval, while no fault is on, that the proxy
// passes requests to the store, and restarts toxiproxy when it does not:
// a deadlocked toxiproxy may keep connections open without passing data.
// It returns when ctx ends.
func (in *injector) watch(ctx context.Context, interval time.Duration) {
	for {
		sleep(ctx, interval)
		if ctx.Err() != nil {
			return
		}
		if !in.quiet() {
			continue
		}
		// A fault switched on during the probe explains its failure.
		if err := in.probe(ctx); err != nil && in.quiet() && ctx.Err() == nil {
			_ = in.api(ctx, "pass a request to the store", func(context.Context) error { return err })
		}
	}
}

// quiet reports whether no fault is on and no healing under way.
func (in *injector) quiet() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.on == 0 && !in.healing
}

// probe sends a request through the proxy; any answer of the store will
// do.
func (in *injector) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.proxy.Listen+"/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// heal waits for the faults under way to end (their context should be
// cancelled first) and then removes whatever toxic is left and enables
// the proxy: the network is fixed.
func (in *injector) heal(ctx context.Context) error {
	in.mu.Lock()
	in.healing = true
	in.mu.Unlock()
	in.active.Wait()
	in.mu.Lock()
	in.healing = false
	in.mu.Unlock()
	heal := func(ctx context.Context) error {
		if err := in.proxy.Heal(ctx); err != nil {
			return err
		}
		return in.probe(ctx)
	}
	if err := in.api(ctx, "heal", heal); err != nil {
		// Restarted: healed, unless the restart failed too.
		return in.api(ctx, "heal after a restart", heal)
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
