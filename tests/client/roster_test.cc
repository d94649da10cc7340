#include "client/roster.h"

#include <gtest/gtest.h>

namespace hail::client {
namespace {

using protocol::Presence;
using protocol::Relation;

ContactUpdated Update(std::string name, Relation relation,
                      Presence presence = Presence::kOffline,
                      std::string status = "") {
  return ContactUpdated{1, std::move(name), relation, presence,
                        std::move(status)};
}

std::vector<std::string> Names(const Roster& roster) {
  std::vector<std::string> names;
  for (const Roster::Entry& entry : roster.Sorted()) {
    names.push_back(entry.username);
  }
  return names;
}

TEST(RosterTest, UpdatesReportTheRelationBefore) {
  Roster roster;
  EXPECT_EQ(roster.Apply(Update("bob", Relation::kRequested)), Relation::kNone);
  EXPECT_EQ(roster.Apply(Update("bob", Relation::kAccepted, Presence::kOnline)),
            Relation::kRequested);
  ASSERT_NE(roster.Find("bob"), nullptr);
  EXPECT_EQ(roster.Find("bob")->presence, Presence::kOnline);
  EXPECT_EQ(roster.Apply(Update("bob", Relation::kNone)), Relation::kAccepted);
  EXPECT_EQ(roster.Find("bob"), nullptr) << "NONE removes the entry";
}

TEST(RosterTest, PresenceOnlyForKnownUsers) {
  Roster roster;
  EXPECT_FALSE(roster.Apply(PresenceChanged{1, "ghost", Presence::kOnline, ""})
                   .has_value());
  EXPECT_EQ(roster.size(), 0u);
  roster.Apply(Update("bob", Relation::kAccepted));
  EXPECT_EQ(roster.Apply(PresenceChanged{1, "bob", Presence::kBusy, "call"}),
            Presence::kOffline);
  EXPECT_EQ(roster.Find("bob")->status, "call");
  EXPECT_EQ(roster.online_count(), 1u);
}

TEST(RosterTest, SortedContactsOnlineFirstThenRequestsThenBlocked) {
  Roster roster;
  roster.Apply(Update("zed", Relation::kBlocked));
  roster.Apply(Update("yves", Relation::kRequested));
  roster.Apply(Update("xena", Relation::kPending));
  roster.Apply(Update("carol", Relation::kAccepted));
  roster.Apply(Update("bob", Relation::kAccepted, Presence::kAway));
  roster.Apply(Update("dave", Relation::kAccepted, Presence::kOnline));
  EXPECT_EQ(Names(roster), (std::vector<std::string>{"bob", "dave", "carol",
                                                     "xena", "yves", "zed"}));
  roster.Clear();
  EXPECT_EQ(roster.size(), 0u);
}

TEST(RosterTest, EntriesAreDescribedForPeople) {
  Roster::Entry entry;
  entry.relation = Relation::kAccepted;
  entry.presence = Presence::kAway;
  entry.status = "back at 3\x1b[0m";
  EXPECT_EQ(DescribeEntry(entry), "away: back at 3?[0m");
  entry.relation = Relation::kPending;
  EXPECT_EQ(DescribeEntry(entry), "asks to add you");
  entry.relation = Relation::kBlocked;
  EXPECT_EQ(DescribeEntry(entry), "blocked");
}

}  // namespace
}  // namespace hail::client
