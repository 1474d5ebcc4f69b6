# frozen_string_literal: true

require "intercom_sync"
require_relative "tasks" # UserScope: a batch's users are a backfill's (config.user_class, SCOPE, SINCE)

module IntercomSync
  # A backfill split across machines: the users of a scope in primary-key ranges (IdRanges), a
  # SyncWithIntercomBatchJob per range on the crm_sync queue (each runs perform_all on its range),
  # and a record of the batch's progress in a store every worker shares (Record).
  module Batch
  end
end

require_relative "batch/id_ranges"
