# frozen_string_literal: true

# A long-lived process gives back the memory a bulk run freed (FreeMemory, malloc_trim): once,
# when its last concurrent perform_all ends, unless the app turned it off. (What it saves is a
# benchmark's figure, rake bench:long_lived, never a timed or sized test.)
RSpec.describe "memory given back after perform_all", sync: true do
  before { define_user_attributes }

  let(:users) { poro_users(3, "m") }

  it "is glibc's malloc_trim here: true or false, never nil (nil only where the allocator has none)" do
    expect([true, false]).to include(IntercomSync::Native.release_free_memory)
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
