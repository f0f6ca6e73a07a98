module github.com/s3commit/s3commit/bench

go 1.26.8

replace github.com/s3commit/s3commit => ../
