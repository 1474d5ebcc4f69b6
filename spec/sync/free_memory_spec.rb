# frozen_string_literal: true

require "open3"
require "rbconfig"

# A long-lived process gives back the memory a bulk run freed (FreeMemory, malloc_trim): once,
# when its last concurrent perform_all ends, unless the app turned it off. (What it saves is a
# benchmark's figure, rake bench:long_lived, never a timed or sized test.)
RSpec.describe "memory given back after perform_all", sync: true do
  before do
    define_user_attributes
    IntercomSync::FreeMemory.reset! # (a release in an earlier example may hold the next one off)
  end

  let(:users) { poro_users(3, "m") }

  it "is glibc's malloc_trim here: true or false, never nil (nil only where the allocator has neither call)" do
    expect([true, false]).to include(IntercomSync::Native.release_free_memory)
  end

  # subprocess: another Ruby, with jemalloc as its malloc
  it "purges jemalloc's arenas when jemalloc is the process's malloc", subprocess: true do
    jemalloc = Dir["/usr/lib/*/libjemalloc.so.2"].first
    skip "libjemalloc2 is not installed (bin/setup installs it)" unless jemalloc
    script = <<~'RUBY'
      require "fiddle"
      require "intercom_sync"
      mallctl = Fiddle::Function.new(Fiddle::Handle::DEFAULT["mallctl"], [Fiddle::TYPE_VOIDP] * 4 + [Fiddle::TYPE_SIZE_T],
                                     Fiddle::TYPE_INT)
      # jemalloc's count of dirty pages (freed, still mapped) over all its arenas
      dirty_pages = lambda do
        value = Fiddle::Pointer.malloc(8, Fiddle::RUBY_FREE)
        length = Fiddle::Pointer.malloc(8, Fiddle::RUBY_FREE)
        value[0, 8] = [1].pack("Q")
        length[0, 8] = [8].pack("Q")
        mallctl.call("epoch", value, length, value, 8) # refreshes the statistics
        raise "no jemalloc statistics" unless mallctl.call("stats.arenas.4096.pdirty", value, length, nil, 0).zero?

        value[0, 8].unpack1("Q")
      end
      Thread.new { Array.new(200_000) { "x" * 200 } }.join # (what a bulk run's thread leaves)
      GC.start
      puts dirty_pages.call, IntercomSync::Native.release_free_memory, dirty_pages.call
    RUBY
    lib = File.expand_path("../../lib", __dir__)
    out, err, status = Open3.capture3({ "LD_PRELOAD" => jemalloc }, RbConfig.ruby, "-I", lib, "-e", script)
    expect(status).to be_success, err
    before, released, after = out.lines.map(&:strip)
    expect(Integer(before)).to be > 0
    expect(released).to eq("true")
    expect(Integer(after)).to be < Integer(before) / 10 # (0 unless a GC freed pages in between)
  end

  it "happens once a run, after its last sync" do
    released_after = nil
    outcomes = 0
    allow(IntercomSync::Native).to receive(:release_free_memory).and_wrap_original do |original|
      released_after = outcomes
      original.call
    end
    SyncWithIntercom.perform_all(users, concurrency: 2) { outcomes += 1 }
    expect(IntercomSync::Native).to have_received(:release_free_memory).once
    expect(released_after).to eq(3)
  end

  it "happens when a run fails too (the caller's block raised)" do
    allow(IntercomSync::Native).to receive(:release_free_memory).and_call_original
    expect { SyncWithIntercom.perform_all(users, concurrency: 2) { raise ArgumentError, "the app's block" } }
      .to raise_error(ArgumentError)
    expect(IntercomSync::Native).to have_received(:release_free_memory).once
  end

  it "waits for the last of concurrent runs: one still running would map the pages again" do
    allow(IntercomSync::Native).to receive(:release_free_memory).and_call_original
    holding = Queue.new
    go_on = Queue.new
    first = Thread.new do
      SyncWithIntercom.perform_all(users, concurrency: 1) do
        holding << true
        go_on.pop
      end
    end
    holding.pop # the first run is inside its block
    SyncWithIntercom.perform_all(poro_users(2, "n"), concurrency: 1)
    expect(IntercomSync::Native).not_to have_received(:release_free_memory)
    go_on << true << true << true
    first.value
    expect(IntercomSync::Native).to have_received(:release_free_memory).once
  end

  it "after a slow release (a big process), spends at most 1% of the time on it: a run soon after skips it" do
    allow(IntercomSync::Native).to receive(:release_free_memory) { sleep 0.05 } # a 1 GB process's walk
    SyncWithIntercom.perform_all(users, concurrency: 2)
    SyncWithIntercom.perform_all(users, concurrency: 2) # within 100 x 0.05 s
    expect(IntercomSync::Native).to have_received(:release_free_memory).once
    IntercomSync::FreeMemory.reset!
    SyncWithIntercom.perform_all(users, concurrency: 2)
    expect(IntercomSync::Native).to have_received(:release_free_memory).twice
  end

  it "after a quick release (under 5 ms), releases after every run" do
    allow(IntercomSync::Native).to receive(:release_free_memory).and_return(true) # (quick under valgrind too)
    3.times { SyncWithIntercom.perform_all(users, concurrency: 2) }
    expect(IntercomSync::Native).to have_received(:release_free_memory).exactly(3).times
  end

  it "is left to the host's allocator with release_memory_after_bulk = false" do
    IntercomSync.configuration.release_memory_after_bulk = false
    allow(IntercomSync::Native).to receive(:release_free_memory)
    SyncWithIntercom.perform_all(users, concurrency: 2)
    expect(IntercomSync::Native).not_to have_received(:release_free_memory)
  end

  it "is a boolean setting" do
    expect { IntercomSync.configuration.release_memory_after_bulk = "false" }
      .to raise_error(IntercomSync::ConfigurationError, /release_memory_after_bulk = "false" is not valid: use true or false/)
    expect(IntercomSync::Configuration.new.release_memory_after_bulk).to be(true)
  end
end
