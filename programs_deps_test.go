package asyncbook_test

// The packages the chapter programs import, which TestMain's go build of
// the programs needs. Importing them here makes go test compile them
// before it links this test binary, so that the go build in TestMain
// finds them in the build cache. Without it, a cold go test ./... could
// compile the same packages twice at once: once in go test, for the
// packages' own tests, and once in TestMain's go build, which started
// before go test got to them. (ch05-workstealing/internal/compare, which
// only its chapter may import, is the one left out.)
import (
	_ "github.com/asyncbook/asyncbook/ch02-futures/cli"
	_ "github.com/asyncbook/asyncbook/ch02-futures/future"
	_ "github.com/asyncbook/asyncbook/ch03-executor/executor"
	_ "github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	_ "github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	_ "github.com/asyncbook/asyncbook/ch06-echo/tcp"
	_ "github.com/asyncbook/asyncbook/ch07-http/fetch"
	_ "golang.org/x/sync/errgroup"
)
