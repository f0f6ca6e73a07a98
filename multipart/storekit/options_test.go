package storekit

import (
	"strings"
	"testing"
)

func TestOrDefault(t *testing.T) {
	if got := OrDefault(0, DefaultMaxConnections); got != DefaultMaxConnections {
		t.Errorf("OrDefault(0) = %d", got)
	}
	if got := OrDefault(-1, 7); got != 7 {
		t.Errorf("OrDefault(-1, 7) = %d", got)
	}
	if got := OrDefault(int32(3), 1000); got != 3 {
		t.Errorf("OrDefault(3, 1000) = %d", got)
	}
}

func TestCheckListPageSize(t *testing.T) {
	for _, n := range []int{0, 1, 1000} {
		if err := CheckListPageSize(n); err != nil {
			t.Errorf("CheckListPageSize(%d) = %v", n, err)
		}
	}
	for _, n := range []int32{-1, 1001} {
		err := CheckListPageSize(n)
		if err == nil || !strings.Contains(err.Error(), "Options.ListPageSize must be between 1 and 1000") {
			t.Errorf("CheckListPageSize(%d) = %v", n, err)
		}
	}
}

func TestCheckNotNegative(t *testing.T) {
	if err := CheckNotNegative("MaxConnections", 0); err != nil {
		t.Errorf("CheckNotNegative(0) = %v", err)
	}
	err := CheckNotNegative("MaxConnections", -2)
	if err == nil || err.Error() != "Options.MaxConnections must not be negative, got -2" {
		t.Errorf("CheckNotNegative(-2) = %v", err)
	}
}
