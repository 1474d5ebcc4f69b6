# frozen_string_literal: true

# Rake tasks for a Rails app (loaded by IntercomSync::Engine). Their logic lives in
# lib/intercom_sync/tasks/*.rb; each task here reads its arguments and ENV, and exits with the
# status the logic returns (1 with a message for a usage error).
namespace :intercom_sync do
  desc "Sync one user now and say what changed: rake \"intercom_sync:sync[USER_ID]\""
  task :sync, [:user_id] => :environment do |_, args|
    require "intercom_sync/tasks"
    IntercomSync::Tasks.run { IntercomSync::Tasks::OneUser.sync(args[:user_id]) }
  end

  desc "Show what syncing one user would change (field: ours -> Intercom's), writing nothing: " \
       "rake \"intercom_sync:plan[USER_ID]\""
  task :plan, [:user_id] => :environment do |_, args|
    require "intercom_sync/tasks"
    IntercomSync::Tasks.run { IntercomSync::Tasks::OneUser.plan(args[:user_id]) }
  end

  backfill = lambda do |env|
    require "intercom_sync/tasks"
    $stdout.sync = true # progress reaches a pipe (cron, CI) as it happens
    IntercomSync::Tasks.run do
      if IntercomSync::Tasks::EnvOptions.new(env).boolean("BATCH_JOBS")
        require "intercom_sync/tasks/batch_backfill"
        IntercomSync::Tasks::BatchBackfill.new(IntercomSync::Tasks::BatchBackfill.options_from_env(env)).run
      else
        IntercomSync::Tasks::Backfill.new(IntercomSync::Tasks::Backfill.options_from_env(env)).run
      end
    end
  end

  desc "Sync every user (SCOPE=name SINCE=date CONCURRENCY=N (8, or what the database pool serves) ENQUEUE=1 FRESH=1 CURSOR=path PROGRESS_EVERY=5), " \
       "resuming an interrupted run; BATCH_JOBS=1 USERS_PER_JOB=1000 enqueues a SyncWithIntercomBatchJob per id range instead"
  task(backfill: :environment) { backfill.call(ENV) }

  desc "Deprecated: rake intercom_sync:backfill CONCURRENCY=N"
  task :sync_all, [:concurrency] => :environment do |_, args|
    given = args[:concurrency] ? " CONCURRENCY=#{args[:concurrency]}" : ""
    warn "intercom_sync:sync_all is deprecated; this runs: rake intercom_sync:backfill#{given}"
    backfill.call(args[:concurrency] ? ENV.to_h.merge("CONCURRENCY" => args[:concurrency]) : ENV)
  end

  desc "Deprecated: rake intercom_sync:backfill ENQUEUE=1"
  task enqueue_all: :environment do
    warn "intercom_sync:enqueue_all is deprecated; this runs: rake intercom_sync:backfill ENQUEUE=1"
    backfill.call(ENV.to_h.merge("ENQUEUE" => "1"))
  end

  namespace :batch do
    desc "Show a batch backfill's progress (the latest without an id; WAIT=1 until it is done, a line every EVERY=5 s): " \
         "rake \"intercom_sync:batch:status[BATCH_ID]\""
    task :status, [:batch_id] => :environment do |_, args|
      require "intercom_sync/tasks/batch_status"
      $stdout.sync = true
      IntercomSync::Tasks.run do
        options = IntercomSync::Tasks::EnvOptions.new(ENV)
        IntercomSync::Tasks::BatchStatus.new(args[:batch_id], wait: options.boolean("WAIT"),
                                             every: options.seconds("EVERY", default: 5)).run
      end
    end
  end

  namespace :batch do
    desc "Enqueue again the ranges of a batch backfill that were given up or refused by the queue: " \
         "rake \"intercom_sync:batch:retry[BATCH_ID]\""
    task :retry, [:batch_id] => :environment do |_, args|
      require "intercom_sync/tasks/batch_retry"
      IntercomSync::Tasks.run { IntercomSync::Tasks::BatchRetry.new(args[:batch_id]).run }
    end
  end

  desc "List the custom data attributes the app sends that Intercom lacks; APPLY=1 creates them (SAMPLE=100 users)"
  task attributes: :environment do
    require "intercom_sync/tasks"
    IntercomSync::Tasks.run do
      options = IntercomSync::Tasks::EnvOptions.new(ENV)
      IntercomSync::Tasks::Attributes.new(apply: options.boolean("APPLY"),
                                          sample: options.integer("SAMPLE", default: 100, range: 1..100_000)).run
    end
  end

  desc "Run the Intercom emulator on 127.0.0.1 (PORT=4010 TOKEN=emulator-token)"
  task :emulator do
    require "intercom_sync/emulator"
    emulator = IntercomSync::Emulator.new(port: Integer(ENV.fetch("PORT", "4010")),
                                          token: ENV.fetch("TOKEN", IntercomSync::Emulator::DEFAULT_TOKEN)).start
    puts "Intercom emulator on #{emulator.base_url} (token #{emulator.token}); Ctrl-C stops it"
    $stdout.flush # through a pipe, the address would otherwise arrive only at exit
    puts "Intercom emulator stopped (#{emulator.serve_until_signal})"
  end
end
