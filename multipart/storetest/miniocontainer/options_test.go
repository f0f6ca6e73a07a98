package miniocontainer

import (
	"context"
	"strings"
	"testing"
)

func TestOptionsDefaults(t *testing.T) {
	a, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if a.Image != DefaultImage || a.Region != DefaultRegion || a.StartupTimeout != DefaultStartupTimeout {
		t.Errorf("defaults: %+v", a)
	}
	if len(a.RootUser) < 3 || len(a.RootPassword) < 8 {
		t.Errorf("random credentials too short: %q, %q", a.RootUser, a.RootPassword)
	}
	if a.RootUser == b.RootUser || a.RootPassword == b.RootPassword {
		t.Error("two containers got the same random credentials")
	}

	set := Options{Image: "example/minio:1", RootUser: "admin", RootPassword: "password", Region: "eu-west-1"}
	got, err := set.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.Image != set.Image || got.RootUser != set.RootUser || got.RootPassword != set.RootPassword || got.Region != set.Region {
		t.Errorf("set options changed: %+v", got)
	}
}

// TestStartRejectsBadCredentials needs no Docker engine: Start checks the
// options before it contacts one.
func TestStartRejectsBadCredentials(t *testing.T) {
	for _, o := range []Options{{RootUser: "ab"}, {RootPassword: "short"}} {
		_, err := Start(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "at least") {
			t.Errorf("Start(%+v) = %v, want an error about the credentials", o, err)
		}
	}
}
