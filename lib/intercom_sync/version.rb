# frozen_string_literal: true

module IntercomSync
  VERSION = "0.1.0"
end
