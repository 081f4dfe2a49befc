using System;
using System.Globalization;
using ModelDsl.IO;

// KillSave loop <target> <floats>: saves a weights file of <floats> floats to <target> again and again until killed.
// KillSave once <target> <floats>: saves it once, loads it back and checks the values.
if (args.Length != 3 || args[0] is not ("loop" or "once"))
{
    Console.Error.WriteLine("usage: KillSave loop|once <target> <floats>");
    return 2;
}

string target = args[1];
int count = int.Parse(args[2], CultureInfo.InvariantCulture);
ParameterInfo[] layout = [new("w", 0, [count])];
var block = new float[count];
for (int i = 0; i < count; i++)
{
    block[i] = i;
}

do
{
    ParameterFile.Save(target, layout, block);
}
while (args[0] == "loop");

var loaded = new float[count];
ParameterFile.Load(target, layout, loaded);
for (int i = 0; i < count; i++)
{
    if (loaded[i] != i)
    {
        Console.Error.WriteLine($"value {i} is {loaded[i]}");
        return 1;
    }
}

return 0;
