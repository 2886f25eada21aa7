//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// process is one role kept running: when it exits, killed by the harness or on its own (a worker
// that cannot reach Temporal yet gives up), it is started again after a short pause, as an
// orchestrator restarts a crashed container.
type process struct {
	name string
	args []string
	env  []string
	log  string // its output, appended across restarts

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the current run ends
	starts   int
	started  time.Time // when the current run began
	stopping bool
	done     chan struct{} // closed when supervision ends
}

func newProcess(name, logDir string, env []string, args ...string) *process {
	return &process{name: name, args: args, env: env, log: filepath.Join(logDir, name+".log"), done: make(chan struct{})}
}

// start begins supervising: the process runs until stop.
func (p *process) start() error {
	p.mu.Lock()
	err := p.runLocked()
	p.mu.Unlock()
	if err != nil {
		return err
	}
	go p.supervise()
	return nil
}

// runLocked starts the process once; p.mu is held.
func (p *process) runLocked() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(self, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // none outlives a harness that is stopped
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(exited) }()
	p.cmd, p.exited = cmd, exited
	p.started = time.Now()
	p.starts++
	return nil
}

func (p *process) supervise() {
	defer close(p.done)
	for {
		p.mu.Lock()
		exited := p.exited
		p.mu.Unlock()
		<-exited
		time.Sleep(300 * time.Millisecond)
		for {
			// Under the lock that stop takes, so a process is never started after stop has read cmd.
			p.mu.Lock()
			if p.stopping {
				p.mu.Unlock()
				return
			}
			err := p.runLocked()
			p.mu.Unlock()
			if err == nil {
				break
			}
			time.Sleep(time.Second)
		}
	}
}

// kill sends SIGKILL to the running process and waits until it is gone; supervise starts it again.
// A process is first left to run for minUp, so that it is killed at work, not while it starts.
func (p *process) kill(minUp time.Duration) {
	p.mu.Lock()
	up := time.Since(p.started)
	p.mu.Unlock()
	if up < minUp {
		time.Sleep(minUp - up)
	}
	p.signal(syscall.SIGKILL)
}

func (p *process) signal(sig syscall.Signal) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	cmd.Process.Signal(sig)
	<-exited
}

// stop ends supervision and the process (SIGTERM, then SIGKILL after 20 s).
func (p *process) stop() {
	p.mu.Lock()
	p.stopping = true
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	<-p.done
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
