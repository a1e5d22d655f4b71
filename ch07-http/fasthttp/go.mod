module github.com/asyncbook/asyncbook/ch07-http/fasthttp

go 1.26.0

require (
	github.com/asyncbook/asyncbook v0.0.0
	github.com/valyala/fasthttp v1.78.0
	golang.org/x/sync v0.25.0
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/molecule-man/go-brrr v1.3.1 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/asyncbook/asyncbook => ../..
