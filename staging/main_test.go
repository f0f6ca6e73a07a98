package staging_test

import (
	"testing"

	"github.com/s3commit/s3commit/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Run(m) }
