//go:build !linux

package m

import "errors"

var errNoDemotion = errors.New("needs Linux")

func demote(tid int) error  { return errNoDemotion }
func promote(tid int) error { return errNoDemotion }
func probeDemotion() error  { return errNoDemotion }
