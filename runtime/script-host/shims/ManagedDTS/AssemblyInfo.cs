[assembly: System.Reflection.AssemblyVersion("16.0.0.0")]
[assembly: System.Reflection.AssemblyTitle("Microsoft.SqlServer.ManagedDTS stand-in of ssisd's script host")]
